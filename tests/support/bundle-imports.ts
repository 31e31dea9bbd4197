import { readFileSync } from 'node:fs';
import { parseAst } from 'vite';

/** The modules a bundle imports by bare name: static and dynamic imports, re-exports, require and require.resolve. */
export function bareImports(file: string): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const n = node as {
      type?: string;
      source?: { value: unknown };
      callee?: { type: string; name?: string; object?: { name?: string }; property?: { name?: string } };
      arguments?: { value?: unknown }[];
    };
    const importsFrom = n.type === 'ImportDeclaration' || n.type === 'ExportNamedDeclaration' || n.type === 'ExportAllDeclaration' || n.type === 'ImportExpression';
    if (importsFrom && typeof n.source?.value === 'string') found.push(n.source.value);
    const callee = n.callee;
    const isRequire = callee?.type === 'Identifier' && callee.name === 'require';
    const isResolve = callee?.type === 'MemberExpression' && callee.object?.name === 'require' && callee.property?.name === 'resolve';
    const argument = n.arguments?.[0]?.value;
    if (n.type === 'CallExpression' && (isRequire || isResolve) && typeof argument === 'string') found.push(argument);
    Object.values(n).forEach(visit);
  };
  visit(parseAst(readFileSync(file, 'utf8')));
  return found.filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('/'));
}

/** The npm package a bare specifier names: `@scope/name` or `name`. */
export const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
