/** The node catalogue shared by the canvas's node views and the side panels. */

import { createContext, useContext } from 'react';
import type { ComponentDescriptor, NodeStats } from '../../api/ruleChains';

export interface EditorContextValue {
  byClass: Map<string, ComponentDescriptor>;
  /** Per node id, when the debug panel has loaded counters. */
  stats: Map<string, NodeStats>;
}

export const EditorContext = createContext<EditorContextValue>({ byClass: new Map(), stats: new Map() });

export const useEditorContext = (): EditorContextValue => useContext(EditorContext);
