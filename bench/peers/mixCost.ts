import { buildASTSchema, parse, type DocumentNode } from 'graphql';
import { readCostPolicy } from '../../lib/cost/costPolicy.ts';
import { operationCost } from '../../lib/cost/operationCost.ts';
import type { MixRequest, OperationName } from './mix.ts';

/**
 * What the hub's cost model (lib/cost/, the one the gateway applies) says of `sample` mix requests: each
 * operation's cost range and how many are "expensive" (TIGA_EXPENSIVE_COST, default 100), which our gateway
 * runs in its few hub-wide slots (gateway/expensiveGate.ts). Printed, so a reader knows what the limits saw.
 */
export function describeMixCost(supergraphSdl: string, next: () => MixRequest, sample: number, threshold: number): { text: string; expensivePerRequest: number } {
  const schema = buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
  const policy = readCostPolicy(schema);
  const documents = new Map<string, DocumentNode>();
  const costs = new Map<OperationName, number[]>();
  for (let i = 0; i < sample; i++) {
    const request = next();
    let document = documents.get(request.query);
    if (!document) documents.set(request.query, (document = parse(request.query)));
    const cost = operationCost({ schema, policy, document, variables: request.variables });
    costs.set(request.name, [...(costs.get(request.name) ?? []), cost]);
  }
  const text = [...costs]
    .map(([name, values]) => {
      const expensive = values.filter((v) => v >= threshold).length;
      return `${name} ${Math.min(...values)}–${Math.max(...values)}${expensive ? ` (${Math.round((100 * expensive) / values.length)} % ≥ ${threshold})` : ''}`;
    })
    .join(', ');
  // What one request of the mix spends, on average, of the budgets that count expensive requests only.
  const expensivePerRequest = [...costs.values()].flat().filter((v) => v >= threshold).reduce((sum, v) => sum + v, 0) / sample;
  return { text, expensivePerRequest };
}
