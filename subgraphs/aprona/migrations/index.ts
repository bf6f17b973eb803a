import type { Migration } from '../../../lib/migrate.ts';
import * as init from './001_init.ts';

export const migrations: Migration[] = [init];
