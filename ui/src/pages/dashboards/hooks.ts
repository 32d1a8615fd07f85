/** Hooks that turn a widget's configuration into data: resolved entities, live values, series. */

import { useEffect, useMemo, useState } from 'react';
import { entityName, history } from '../../dashboards/api';
import { entityKey, resolveWidget, type ResolvedEntity, type ResolvedSource } from '../../dashboards/datasource';
import type { Point } from '../../dashboards/live';
import { historyQuery, isRealtime, rangeOf, type HistoryQuery } from '../../dashboards/timewindow';
import type { Datasource } from '../../dashboards/types';
import type { LatestTelemetry } from '../../api/types';
import { useRuntime } from './runtime';

export interface Resolved {
  sources: ResolvedSource[];
  entities: ResolvedEntity[];
  loading: boolean;
  problem: string | null;
}

/** The entities and keys of a widget's datasources (re-resolved when they or the aliases change). */
export function useResolved(datasources: Datasource[]): Resolved {
  const { aliases, lookup, stateParams } = useRuntime();
  const signature = JSON.stringify([datasources, datasources.map((d) => (d.entityAliasId ? aliases[d.entityAliasId] : null)), stateParams]);
  const [state, setState] = useState<Resolved>({ sources: [], entities: [], loading: true, problem: null });
  useEffect(() => {
    let current = true;
    void resolveWidget(datasources, aliases, lookup, stateParams).then((sources) => {
      if (!current) return;
      const seen = new Map<string, ResolvedEntity>();
      for (const s of sources) for (const e of s.entities) if (!seen.has(entityKey(e))) seen.set(entityKey(e), e);
      const problem = sources.find((s) => s.problem)?.problem ?? (datasources.length ? null : 'No data source configured');
      setState({ sources, entities: [...seen.values()], loading: false, problem });
    });
    return () => {
      current = false;
    };
  }, [signature]);
  return state;
}

/** Names of entities, fetched once per dashboard. */
export function useEntityNames(entities: ResolvedEntity[]): Record<string, string> {
  const { names } = useRuntime();
  const [known, setKnown] = useState<Record<string, string>>({});
  const signature = entities.map(entityKey).join('|');
  useEffect(() => {
    let current = true;
    for (const e of entities) {
      const key = entityKey(e);
      if (e.name) {
        names.set(key, Promise.resolve(e.name));
      } else if (!names.has(key)) {
        names.set(key, entityName(e).catch(() => e.id));
      }
      void names.get(key)!.then((name) => current && setKnown((k) => (k[key] === name ? k : { ...k, [key]: name })));
    }
    return () => {
      current = false;
    };
  }, [signature]);
  return known;
}

/** Latest values of every entity, updated live (at most once per animation frame). */
export function useLatest(entities: ResolvedEntity[]): Record<string, LatestTelemetry> {
  const { hub } = useRuntime();
  const [latest, setLatest] = useState<Record<string, LatestTelemetry>>({});
  const signature = entities.map(entityKey).join('|');
  useEffect(() => {
    const stops = entities.map((e) =>
      hub.watch(e, (frame) => setLatest((all) => ({ ...all, [entityKey(e)]: frame.latest }))),
    );
    return () => stops.forEach((stop) => stop());
  }, [hub, signature]);
  return latest;
}

export interface SeriesState {
  /** entity key → data key → points, oldest first. */
  data: Record<string, Record<string, Point[]>>;
  loading: boolean;
  error: string | null;
  range: { startTs: number; endTs: number };
}

/** Aggregated real-time windows are re-queried at this pace at the fastest. */
const MIN_REFRESH_MS = 5000;

/**
 * History of `keys` for each entity over the dashboard's time window. A raw real-time
 * window then grows with the live points (old ones dropped); an aggregated one is
 * re-queried once per aggregation interval, so its points stay aggregates.
 */
export function useSeries(entities: ResolvedEntity[], keys: string[]): SeriesState {
  const { hub, timewindow } = useRuntime();
  const [state, setState] = useState<SeriesState>(() => ({ data: {}, loading: true, error: null, range: rangeOf(timewindow, Date.now()) }));
  const signature = `${entities.map(entityKey).join('|')}#${keys.join(',')}#${JSON.stringify(timewindow)}`;
  const realtime = useMemo(() => isRealtime(timewindow), [timewindow]);

  useEffect(() => {
    let current = true;
    let loaded = false;
    const first = historyQuery(timewindow, Date.now());
    const span = first.endTs - first.startTs;
    // Live points that arrive before the history answer are kept and merged after it.
    const early: Record<string, Record<string, Point[]>> = {};
    const load = (query: HistoryQuery) =>
      Promise.all(entities.map((e) => history(e, keys, query).then((d) => [entityKey(e), d] as const)))
        .then((answers) => {
          if (!current) return;
          loaded = true;
          const data: Record<string, Record<string, Point[]>> = {};
          for (const [id, series] of answers) data[id] = appendPoints(series, early[id] ?? {}, keys, -Infinity);
          setState({ data, loading: false, error: null, range: { startTs: query.startTs, endTs: query.endTs } });
        })
        .catch((e: unknown) => current && setState((s) => ({ ...s, loading: false, error: e instanceof Error ? e.message : String(e) })));
    setState((s) => ({ ...s, loading: true, range: { startTs: first.startTs, endTs: first.endTs } }));
    void load(first);
    if (!realtime) return () => void (current = false);
    if (first.agg !== 'NONE') {
      const timer = setInterval(() => void load(historyQuery(timewindow, Date.now())), Math.max(first.interval, MIN_REFRESH_MS));
      return () => {
        current = false;
        clearInterval(timer);
      };
    }
    const stops = entities.map((e) =>
      hub.watch(e, (frame) => {
        const id = entityKey(e);
        if (!loaded) {
          early[id] = appendPoints(early[id] ?? {}, frame.points, keys, -Infinity);
          return;
        }
        setState((s) => {
          const now = Date.now();
          const startTs = now - span;
          const mine = s.data[id] ?? {};
          const next = appendPoints(mine, frame.points, keys, startTs);
          if (next === mine) return s;
          return { ...s, data: { ...s.data, [id]: next }, range: { startTs, endTs: now } };
        });
      }),
    );
    return () => {
      current = false;
      stops.forEach((stop) => stop());
    };
  }, [hub, signature]);
  return state;
}

/** `known` with the `fresh` points newer than each key's last one; points before `startTs` dropped. */
function appendPoints(
  known: Record<string, Point[]>,
  fresh: Record<string, Point[]>,
  keys: string[],
  startTs: number,
): Record<string, Point[]> {
  let next = known;
  for (const key of keys) {
    const incoming = fresh[key];
    if (!incoming?.length) continue;
    const current = known[key] ?? [];
    const lastTs = current.length ? current[current.length - 1]!.ts : -Infinity;
    const added = incoming.filter((p) => p.ts > lastTs);
    if (!added.length) continue;
    if (next === known) next = { ...known };
    next[key] = [...current, ...added].filter((p) => p.ts >= startTs);
  }
  return next;
}
