/** Small fast-check helpers shared by the targets. */
import fc from 'fast-check';

/** The type of the values an arbitrary generates. */
export type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

/** `arb` once in `oneIn` draws, null otherwise: for lies that should be rare enough to get past them. */
export function rarely<T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
}
