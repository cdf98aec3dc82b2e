import { funnelsContract } from './funnels-contract.ts';
import { buildTestAnalytics } from './helper.ts';

funnelsContract('PostgreSQL', await buildTestAnalytics());
