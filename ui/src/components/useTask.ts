import { useCallback, useState } from 'react';
import { describeError } from '../api/errors';

/**
 * One button's async work: `busy` while it runs; a failure's reason goes to `onError` (the
 * page's alert), a success clears it. Forms with several buttons use one task per button.
 */
export function useTask(onError: (message: string | null) => void): { busy: boolean; run: (work: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async (work: () => Promise<void>) => {
      setBusy(true);
      onError(null);
      try {
        await work();
      } catch (e) {
        onError(describeError(e));
      } finally {
        setBusy(false);
      }
    },
    [onError],
  );
  return { busy, run };
}
