// `provider-reboot` (R-RUN-1 L3): the box is rebooted through its cloud provider's API, which
// works when SSH does not. Without a provider on the host the runbook takes its manual `confirm`
// step instead (`when: host.provider` / `unless: host.provider`).
import { providerConsoleUrl, rebootInstance } from '../../provider/vultr';
import type { ProviderRebootStep } from '../schema';
import { registerStepKind } from '../step-kinds';

registerStepKind<ProviderRebootStep>('provider-reboot', {
  async run(step, ctx) {
    const host = ctx.hosts.get(step.host!);
    if (!host) return { outcome: 'failed', message: `host "${step.host}" is not under hosts: in the config` };
    if (!host.provider) {
      return {
        outcome: 'failed',
        message: `host "${host.name}" has no provider: configured; add provider: (kind: vultr, instance_id, api_key_env) or reboot it by hand in the provider console`,
      };
    }
    ctx.progress(`POST /v2/instances/${host.provider.instance_id}/reboot`);
    ctx.output('stdout', `asking ${host.provider.kind} to reboot instance ${host.provider.instance_id} (${host.name})`);
    const res = await rebootInstance({ provider: host.provider, hostName: host.name, env: ctx.env, timeoutMs: Math.round(step.timeout_s * 1000), signal: ctx.signal });
    if (ctx.signal.aborted) return { outcome: 'failed', message: 'cancelled' };
    ctx.output(res.ok ? 'stdout' : 'stderr', res.message);
    if (res.ok) ctx.output('stdout', `console: ${providerConsoleUrl(host.provider)}`);
    return res.ok ? { outcome: 'ok', message: `reboot accepted (HTTP ${res.status})` } : { outcome: 'failed', message: res.message };
  },
  describe(step, ctx) {
    const p = ctx.hosts.get(step.host!)?.provider;
    if (!p) return [`provider reboot of ${step.host}: no provider configured`];
    return [`${p.kind} API: POST ${p.base_url.replace(/\/+$/, '')}/v2/instances/${p.instance_id}/reboot (bearer key from $${p.api_key_env}) — reboots ${step.host}`];
  },
});
