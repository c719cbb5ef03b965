// Brings the test bed up for the integration and end-to-end projects, or reuses a running one.
import { bedUp } from '../bed/bed.js';

export default async function globalSetup(): Promise<void> {
  const { started } = await bedUp((line) => process.stderr.write(`[bed] ${line}\n`));
  // Only a bed started here is stopped at the end; a bed started with `npm run bed -- up` is left running.
  process.env.CANARY_BOT_BED_STARTED_BY_JEST = started ? '1' : '';
}
