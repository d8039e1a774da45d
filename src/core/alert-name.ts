// An alert's name on screen: Alertmanager's carry their source (`AM HostDown`). Kept apart from
// the rules (src/health) so the wall screen can use it without loading the evaluator.
import type { AlertView } from './views';

export const alertName = (a: Pick<AlertView, 'rule' | 'source'>): string => (a.source === 'alertmanager' ? `AM ${a.rule}` : a.rule);
