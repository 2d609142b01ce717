import { runService } from '@finance/shared';
import goals from './service';

runService(goals);
