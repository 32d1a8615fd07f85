/** The answer of a bulk operation (`/api/devices/bulk/*`) as one line per selected row. */

export interface BulkResult {
  succeeded: string[];
  errors: { id: string; error: string }[];
}

export interface BulkRow {
  id: string;
  name: string;
  ok: boolean;
  message: string;
}

/**
 * One row per requested id, in the order asked, named from `names`; an id the server
 * answered for neither way is reported as not processed rather than dropped.
 */
export function bulkRows(ids: string[], names: ReadonlyMap<string, string>, result: BulkResult, done: string): BulkRow[] {
  const ok = new Set(result.succeeded);
  const failed = new Map(result.errors.map((e) => [e.id, e.error]));
  return ids.map((id) => {
    const name = names.get(id) ?? id;
    if (ok.has(id)) return { id, name, ok: true, message: done };
    return { id, name, ok: false, message: failed.get(id) ?? 'Not processed' };
  });
}

/** "3 devices" / "1 device". */
export const countOf = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
