import { runService } from '@finance/shared';
import notifier from './service';

runService(notifier);
