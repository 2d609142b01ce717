import { NotifierInitial1796116583144 } from './1796116583144-notifier-initial';

/** notifier's own migrations, in order (the shared tables come first, added by startService). Classes, not globs. */
export const notifierMigrations = [NotifierInitial1796116583144];
