/**
 * How much of the slow suites a run covers. `npm test` is the edit-and-commit check and stays near a
 * minute on two cores: the fuzz targets run a fixed, small number of inputs (the same seed, so the same
 * inputs every time), the hostile captures are judged through every command only where they are cheap, and
 * truncation visits a sample of cuts of every kind. `npm run test:long` (GRPCTK_TEST_LONG=1) runs all of
 * it: the fuzzers' full counts, every command on every hostile case, every cut.
 */
export const LONG = process.env.GRPCTK_TEST_LONG === '1';
