import { InvalidArgumentError } from '../../errors/index.js';
import { ALL_AGENTS, clearPolicy, savePolicy, savedPolicies } from '../../gc/index.js';
import { parseCommandArgs, positionals, storeDir, withRepository, type Command } from '../command.js';
import { KEEP_OPTIONS, KEEP_USAGE, describePolicy, policyFromFlags } from '../retention-flags.js';

export const policyCommand: Command = {
  name: 'policy',
  summary: 'save, show or clear the retention policy applied after captures',
  usage: `Usage: memsnap policy show | set --keep-... [--agent ID] | clear [--agent ID]

A saved policy is applied to an agent after each \`memsnap capture\` of it (unless
--no-forget), and by \`memsnap forget --saved\`. A policy saved with --agent replaces the
all-agents policy for that agent.

Options:
${KEEP_USAGE}
  --agent ID              the agent (default: all agents)
  --store DIR, --json     see memsnap --help`,
  async run(args, { out, env }) {
    const { values, positionals: pos } = parseCommandArgs(args, { ...KEEP_OPTIONS, agent: { type: 'string' } });
    const [action] = positionals(pos, 1, 1, 'one of: show, set, clear');
    const scope = values.agent ?? ALL_AGENTS;
    return withRepository(storeDir(values.store, env), async (repo) => {
      if (action === 'set') {
        const policy = policyFromFlags(values);
        if (!policy) throw new InvalidArgumentError('policy set wants at least one --keep-* rule');
        savePolicy(repo, policy, scope);
        out.result({ scope, policy }, () => out.line(`saved for ${scope === ALL_AGENTS ? 'all agents' : `agent ${scope}`}: ${describePolicy(policy)}`));
      } else if (action === 'clear') {
        const existed = clearPolicy(repo, scope);
        out.result({ scope, cleared: existed }, () => out.line(existed ? `cleared the policy of ${scope === ALL_AGENTS ? 'all agents' : `agent ${scope}`}` : 'no such policy'));
      } else if (action === 'show') {
        const saved = savedPolicies(repo);
        out.result({ policies: saved }, () => {
          if (Object.keys(saved).length === 0) out.line('no saved policy');
          for (const [s, p] of Object.entries(saved)) out.line(`${s === ALL_AGENTS ? 'all agents' : s}: ${describePolicy(p)}`);
        });
      } else {
        throw new InvalidArgumentError(`unknown policy action ${JSON.stringify(action)}; expected show, set or clear`);
      }
      return 0;
    });
  },
};
