/** Consumers: credentials and per-consumer plugin settings; checked by the plugins' own schemas on write. */
import { Consumer } from '../../config/schema';
import { arrayResource } from './resource';

export const consumers = arrayResource('consumers', 'consumer', Consumer);
