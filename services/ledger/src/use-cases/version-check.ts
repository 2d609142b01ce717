/**
 * What a change demands of the version it changes, checked on the locked row before anything is
 * written: the HTTP layer passes its If-Match (a stale one throws a 412). Use cases know nothing
 * of headers.
 */
export type VersionCheck = (currentVersion: number) => void;
