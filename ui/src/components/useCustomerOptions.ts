import { useEffect, useState } from 'react';
import { allCustomers } from '../api/customers';
import { describeError } from '../api/errors';

export interface Option {
  value: string;
  label: string;
}

/** The tenant's customers as select options, loaded each time `active` turns true. */
export function useCustomerOptions(active: boolean): { options: Option[]; error: string | null } {
  const [options, setOptions] = useState<Option[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!active) return;
    setError(null);
    allCustomers()
      .then((cs) => setOptions(cs.map((c) => ({ value: c.id!.id, label: c.title }))))
      .catch((e: unknown) => setError(describeError(e)));
  }, [active]);
  return { options, error };
}
