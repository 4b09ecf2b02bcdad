// Read once from package.json so `grpctk --version` and shb_userappl never disagree with the package.
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const version: string = (require('../package.json') as { version: string }).version;
