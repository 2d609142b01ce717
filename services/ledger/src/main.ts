import { runService } from '@finance/shared';
import ledger from './service';

runService(ledger);
