import type { Migration } from '../../../lib/migrate.ts';
import * as init from './001_init.ts';
import * as contributions from './002_contributions.ts';
import * as transparency from './003_transparency.ts';
import * as sensorOwners from './004_sensor_owners.ts';
import * as namespacesAndVersions from './005_namespaces_and_versions.ts';
import * as changeNotices from './006_change_notices.ts';

export const migrations: Migration[] = [init, contributions, transparency, sensorOwners, namespacesAndVersions, changeNotices];
