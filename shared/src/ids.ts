import { v7 as uuidv7 } from 'uuid';

/**
 * Ids of everything a service creates: UUIDv7 (RFC 9562), whose first 48 bits are the creation
 * time in milliseconds. Besides sorting by creation, that lets a service that meets an id it has
 * not seen yet tell "created a moment ago, its event is on the way" (worth a short wait) from
 * "an old or made-up id" (404 at once): see `ReadYourWrites`.
 */
export function newId(): string {
  return uuidv7();
}

const UUID_V7 = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** When a UUIDv7 was made (ms since the epoch); undefined for any other kind of id. */
export function idCreatedAt(id: string): number | undefined {
  const match = UUID_V7.exec(id);
  if (!match) return undefined;
  return parseInt(match[1] + match[2], 16);
}
