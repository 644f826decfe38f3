export { freePort } from '../../shared/util/free-port.ts';
