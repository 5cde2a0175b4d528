/** `assetd` run from the TypeScript sources, for tests that need a real process. */
import { main } from '../../src/cli.js';

void main(process.argv.slice(2));
