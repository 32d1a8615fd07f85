/**
 * The one shell of every entity page (device, asset, customer, tenant): breadcrumbs back to
 * the list, a header, and tabs routed as `<basePath>/<tab>`. A page only says how to load
 * its entity and which tabs it has; `commonTabs` adds the attribute, telemetry, alarm,
 * relation, event and audit tabs every entity shares.
 */

import { Alert, Anchor, Breadcrumbs, Loader, Paper, Tabs, Text } from '@mantine/core';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { describeError } from '../api/errors';
import { PageHeader } from './PageHeader';

export interface DetailTab {
  value: string;
  label: string;
  render: () => ReactNode;
}

export interface DetailContext<T> {
  entity: T;
  /** Loads the entity again (after an edit). */
  reload: () => void;
  /** Replaces the shown entity with one the API already answered. */
  replace: (entity: T) => void;
}

interface Props<T> {
  /** The id in the URL; a change loads the new entity. */
  id: string;
  load: (id: string) => Promise<T>;
  /** Where the tabs live: the tab name is appended. */
  basePath: string;
  /** The list the breadcrumbs lead back to; none for a page without a list. */
  list?: { label: string; path: string };
  title: (entity: T) => string;
  subtitle?: (entity: T) => ReactNode;
  actions?: (context: DetailContext<T>) => ReactNode;
  tabs: (context: DetailContext<T>) => DetailTab[];
  /** Dialogs and other content outside the tabs. */
  children?: (context: DetailContext<T>) => ReactNode;
}

export function EntityDetailPage<T>(props: Props<T>) {
  const { id } = props;
  // The loader may be a new function on every render; only the id decides what to load.
  const load = useRef(props.load);
  load.current = props.load;
  const { tab = '' } = useParams();
  const navigate = useNavigate();
  // What was loaded for which id: a page moving to another entity shows no stale one.
  const [shown, setShown] = useState<{ id: string; entity: T } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(id);
  latest.current = id;

  const reload = useCallback(() => {
    setError(null);
    load
      .current(id)
      .then((loaded) => {
        if (latest.current !== id) return; // an answer for an entity no longer shown
        setShown({ id, entity: loaded });
        setError(null);
      })
      .catch((e: unknown) => latest.current === id && setError(describeError(e)));
  }, [id]);
  useEffect(reload, [reload]);
  const replace = useCallback((entity: T) => setShown({ id, entity }), [id]);

  if (error) return <Alert color="red">{error}</Alert>;
  if (shown === null || shown.id !== id) return <Loader m="xl" />;
  const entity = shown.entity;
  const context: DetailContext<T> = { entity, reload, replace };
  const tabs = props.tabs(context);
  const current = tabs.some((t) => t.value === tab) ? tab : tabs[0]?.value;
  const title = props.title(entity);

  return (
    <>
      {props.list && (
        <Breadcrumbs mb="xs">
          <Anchor component={Link} to={props.list.path} size="sm">
            {props.list.label}
          </Anchor>
          <Text size="sm">{title}</Text>
        </Breadcrumbs>
      )}
      <PageHeader title={title} subtitle={props.subtitle?.(entity)} actions={props.actions?.(context)} />
      <Paper withBorder radius="md">
        <Tabs value={current} onChange={(v) => v && navigate(`${props.basePath}/${v}`, { replace: true })} keepMounted={false}>
          <Tabs.List style={{ flexWrap: 'nowrap', overflowX: 'auto', overflowY: 'hidden' }}>
            {tabs.map((t) => (
              <Tabs.Tab key={t.value} value={t.value} style={{ whiteSpace: 'nowrap' }}>
                {t.label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          {tabs.map((t) => (
            <Tabs.Panel key={t.value} value={t.value} p="md">
              {t.render()}
            </Tabs.Panel>
          ))}
        </Tabs>
      </Paper>
      {props.children?.(context)}
    </>
  );
}
