import { runService } from '@finance/shared';
import auth from './service';

runService(auth);
