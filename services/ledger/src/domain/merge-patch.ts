/**
 * JSON Merge Patch (RFC 7396), what every PATCH of the ledger means: the patch's members replace
 * the target's, `null` removes a member, an object merges into an object member recursively, and
 * anything else (arrays included) replaces it whole. Members the patch leaves out stay as they
 * are. Pure: neither argument is changed.
 *
 * The ledger's resources show a removed member as `null` (`"icon": null`), so a nullable member
 * the patch removes reads back as null, exactly as a PUT that omits it.
 */
export function mergePatch<T extends object>(target: T, patch: MergePatch<T>): Merged<T>;
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const result: Record<string, unknown> = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue; // not in the patch (zod leaves optional members undefined)
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key] as object, value);
  }
  return result;
}

/** A patch of T: any member may be given; only members that may be null may be removed with null. */
export type MergePatch<T> = { [K in keyof T]?: T[K] };

/** T after a merge: members that may be null may also have been removed. */
export type Merged<T> = { [K in keyof T as null extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as null extends T[K] ? K : never]?: T[K];
};

/** Whether a patch changes nothing at all (`{}`). */
export function isEmptyPatch(patch: object): boolean {
  return Object.values(patch).every((value) => value === undefined);
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
