/** A plain confirmation; Mantine's modals package would add a dependency for one dialog. */
export function confirmAction(message: string): boolean {
  return window.confirm(message);
}
