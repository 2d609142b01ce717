import { NotifierInitial1796300000000 } from './1796300000000-notifier-initial';

/** notifier's own migrations, in order (the shared tables come first, added by startService). Classes, not globs. */
export const notifierMigrations = [NotifierInitial1796300000000];
