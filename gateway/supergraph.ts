import fs from 'node:fs';
import { Kind, parse, print, visit, type DirectiveNode } from 'graphql';
import { SUPERGRAPH_PATH } from '../lib/paths.ts';

/** Access-control specs whose directives our own enforcement reads from the supergraph. */
const ACCESS_SPECS = ['https://specs.apollo.dev/requiresScopes/', 'https://specs.apollo.dev/authenticated/', 'https://specs.apollo.dev/policy/'];

const isAccessLink = (directive: DirectiveNode) =>
  directive.name.value === 'link' &&
  directive.arguments?.some(
    (arg) => arg.name.value === 'url' && arg.value.kind === Kind.STRING && ACCESS_SPECS.some((spec) => (arg.value as { value: string }).value.startsWith(spec)),
  );

/**
 * @apollo/gateway refuses a supergraph that links an access spec `for: SECURITY` (it cannot enforce it and
 * must not pretend to). We enforce those directives ourselves, so we keep every link and directive and
 * only drop the `for:` purpose of the access links: the gateway then loads the schema with
 * `@requiresScopes`/`@authenticated` still on their fields, where our enforcement reads them.
 */
export function prepareSupergraphForGateway(supergraphSdl: string): string {
  const document = visit(parse(supergraphSdl), {
    Directive(node) {
      if (!isAccessLink(node)) return undefined;
      return { ...node, arguments: node.arguments?.filter((arg) => arg.name.value !== 'for') };
    },
  });
  return print(document);
}

export function readSupergraph(path = SUPERGRAPH_PATH): string {
  return fs.readFileSync(path, 'utf8');
}

/**
 * The subgraphs a supergraph federates, with the URLs composition wrote (each producer's default port):
 * the gateway learns its subgraphs from this file, never from producer code.
 */
export function subgraphsOf(supergraphSdl: string): { name: string; url: string; title: string }[] {
  const graphs: { name: string; url: string; title: string }[] = [];
  visit(parse(supergraphSdl), {
    EnumValueDefinition(node) {
      const graph = node.directives?.find((d) => d.name.value === 'join__graph');
      if (!graph) return;
      const arg = (name: string) => {
        const value = graph.arguments?.find((a) => a.name.value === name)?.value;
        return value?.kind === Kind.STRING ? value.value : undefined;
      };
      const name = arg('name');
      const url = arg('url');
      // The producer's public title, written by `npm run compose` as the value's description.
      if (name && url !== undefined) graphs.push({ name, url, title: node.description?.value ?? name });
    },
  });
  return graphs;
}
