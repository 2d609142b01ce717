import { runService } from '@finance/shared';
import reports from './service';

runService(reports);
