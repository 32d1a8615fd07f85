import type { WidgetKind } from '../../../dashboards/library';
import type { Widget } from '../../../dashboards/types';

export interface WidgetProps {
  widget: Widget;
  kind: WidgetKind;
}

/** A widget's own settings, with defaults for what is missing. */
export function setting<T>(widget: Widget, name: string, fallback: T): T {
  const value = widget.config.settings?.[name];
  return value === undefined || value === null || value === '' ? fallback : (value as T);
}
