import { useCallback, useEffect, useState } from 'react';
import { describeError } from '../api/errors';
import type { PageData } from '../api/types';
import { DEFAULT_PAGE_LINK, type PageLink } from '../lib/pageLink';

export interface Paged<T> {
  link: PageLink;
  setLink: (link: PageLink) => void;
  page: PageData<T> | null;
  loading: boolean;
  error: string | null;
  reload: () => void;
}

/** Loads one page whenever the page link changes; stale answers are dropped. */
export function usePaged<T>(
  load: (link: PageLink) => Promise<PageData<T>>,
  initial: Partial<PageLink> = {},
): Paged<T> {
  const [link, setLink] = useState<PageLink>({ ...DEFAULT_PAGE_LINK, ...initial });
  const [page, setPage] = useState<PageData<T> | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let current = true;
    setLoading(true);
    load(link)
      .then((data) => {
        if (!current) return;
        setPage(data);
        setError(null);
      })
      .catch((e: unknown) => current && setError(describeError(e)))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [load, link, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { link, setLink, page, loading, error, reload };
}
