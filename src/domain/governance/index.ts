/** Release governance: freeze windows, stops of the line, which actions a freeze holds. Pure. */

export {
  describeFreeze,
  type FreezeNote,
  freezeNoteOf,
  sameFreeze,
  untilWords,
  zoneOfWindow,
} from './freeze-note.js';
export { freezeWindowSchema, type ParsedFreezeWindows, parseFreezeWindows } from './parse-windows.js';
export { parseDuration } from './recurrence.js';
export type { DurationParts, Span, WindowSchedule } from './window-schedule.js';
export {
  appliesTo,
  FREEZE_HORIZON_MS,
  type Freeze,
  type FreezeState,
  type FreezeTarget,
  type FreezeWindow,
  type FreezeWindowDefinition,
  freezeAt,
  type GovernedAction,
  type HeldRelease,
  heldByFreeze,
  STOP_THE_LINE,
  type StopScope,
  type StopTheLine,
  type WindowHold,
  type WindowScope,
  windowsHolding,
} from './windows.js';
