import { runService } from '@finance/shared';
import budgets from './service';

runService(budgets);
