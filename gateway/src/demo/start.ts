/**
 * `npm start`: the demo echo upstream on 127.0.0.1:9000 and Gatehouse in standalone mode with
 * `gateway/examples/standalone.yaml` (unless GATEHOUSE_CONFIG names another file), in one process.
 */
import { join } from 'node:path';
import { buildEchoServer, DEMO_HOST, DEMO_PORT } from './echo';
import { main } from '../main';

const EXAMPLE_CONFIG = join(__dirname, '..', '..', 'examples', 'standalone.yaml');

const echo = buildEchoServer();
echo.on('error', (err) => {
  process.stderr.write(`gatehouse demo: the echo upstream cannot listen on ${DEMO_HOST}:${DEMO_PORT}: ${err.message}\n`);
  process.exit(1);
});
echo.listen(DEMO_PORT, DEMO_HOST, () => {
  process.env.GATEHOUSE_CONFIG ??= EXAMPLE_CONFIG;
  void main();
});
