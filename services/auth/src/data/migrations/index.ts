import { CreateAuthSchema1763780000000 } from './1763780000000-CreateAuthSchema';
import { SessionVersions1764500000000 } from './1764500000000-SessionVersions';
import { LoginThrottle1764500001000 } from './1764500001000-LoginThrottle';
import { RefreshGrace1764500002000 } from './1764500002000-RefreshGrace';
import { AuditLog1764600000000 } from './1764600000000-AuditLog';

/** Auth's own migrations, in order (the shared tables' come first, added by startService). Classes, not globs. */
export const authMigrations = [
  CreateAuthSchema1763780000000,
  SessionVersions1764500000000,
  LoginThrottle1764500001000,
  RefreshGrace1764500002000,
  AuditLog1764600000000,
];
