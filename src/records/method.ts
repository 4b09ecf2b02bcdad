/**
 * How a call's method is named for people (the text view, stats groups): as seen; with `(inferred)` beside
 * one the capture did not show (CallRecord.inferred); by its group when not known (`(unknown method #1)`),
 * so calls without a name still count, apart from each other and from the calls that were named.
 */
import type { CallRecord } from './types';

export function methodLabel(call: Pick<CallRecord, 'method' | 'method_group' | 'inferred'>): string {
  if (call.method !== '') return call.inferred?.includes('method') ? `${call.method} (inferred)` : call.method;
  return call.method_group !== undefined ? `(${call.method_group})` : '(unknown method)';
}
