// Worker bootstrap: the server runs TypeScript through tsx's loader, which a worker thread does not inherit, so
// the worker registers it itself before loading the scoring module.
import { register } from 'tsx/esm/api';

register();
await import('./async-worker.ts');
