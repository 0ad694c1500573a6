import { join } from 'node:path';
import { it } from 'vitest';
import { collectLiveInput } from '../../src/collect/live/live.js';
import { startSandbox } from '../../src/sandbox/index.js';

it('scratch', async () => {
  for (const name of ['healthy', 'missing-binding', 'iamcredentials-disabled', 'gsa-disabled']) {
    const sb = await startSandbox({ scenario: join(import.meta.dirname, `../../scenarios/${name}.yaml`) });
    try {
      const env = { ...sb.env, METADATA_SERVER_DETECTION: 'none', GCE_METADATA_HOST: '127.0.0.1:9' };
      const { input } = await collectLiveInput({ all: true, e2e: true, kubeconfig: sb.kubeconfig }, ['cluster'], { env });
      for (const [p, e] of input.files) if (p.startsWith('e2e/')) console.log(name, p, JSON.stringify(e));
    } finally {
      await sb.stop();
    }
  }
});
