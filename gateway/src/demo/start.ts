/**
 * `npm start`: the demo echo upstream on 127.0.0.1:9000 and Gatehouse in standalone mode with
 * `gateway/examples/standalone.yaml` (unless GATEHOUSE_CONFIG names another file), in one process.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildEchoServer, DEMO_HOST, DEMO_PORT } from './echo';
import { main } from '../main';

// From gateway/src/demo (tsx) or dist/gateway/src/demo (compiled): the example stays in the source tree.
const EXAMPLE_CONFIG = [join(__dirname, '..', '..', 'examples', 'standalone.yaml'), join(__dirname, '..', '..', '..', '..', 'gateway', 'examples', 'standalone.yaml')].find((f) =>
  existsSync(f),
);

const echo = buildEchoServer();
echo.on('error', (err) => {
  process.stderr.write(`gatehouse demo: the echo upstream cannot listen on ${DEMO_HOST}:${DEMO_PORT}: ${err.message}\n`);
  process.exit(1);
});
echo.listen(DEMO_PORT, DEMO_HOST, () => {
  if (EXAMPLE_CONFIG) process.env.GATEHOUSE_CONFIG ??= EXAMPLE_CONFIG;
  void main();
});
