// The .d.ts files of dist/types/: type-checks src/ with tsconfig.json, emits the
// declarations, and keeps only those the package's type entries reach.
//
// One rule is applied on the way out: an optional property accepts `undefined`
// (`epochs?: number | undefined`). Every option the library reads treats an
// undefined value as absent (tests/unit/options-undefined.test.js checks it), so
// a user compiling with exactOptionalPropertyTypes can write
// `{ epochs: flags.epochs }` as the runtime allows. Applied here, at the public
// surface, instead of in every interface of src/, it also holds for options
// added later.
import { readdirSync, rmSync, statSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Adds `| undefined` to the type of every optional property (interfaces, type literals, classes) that lacks it. */
function optionalAcceptsUndefined(context) {
  const f = context.factory;
  const includesUndefined = (type) => type.kind === ts.SyntaxKind.UndefinedKeyword ||
    (ts.isUnionTypeNode(type) && type.types.some(includesUndefined)) ||
    (ts.isLiteralTypeNode(type) && type.literal.kind === ts.SyntaxKind.UndefinedKeyword);
  const widen = (type) => {
    if (!type || type.kind === ts.SyntaxKind.AnyKeyword || type.kind === ts.SyntaxKind.UnknownKeyword || includesUndefined(type)) return type;
    // A function or conditional type binds looser than `|`: parenthesize it first.
    const operand = ts.isFunctionTypeNode(type) || ts.isConstructorTypeNode(type) || ts.isConditionalTypeNode(type) ? f.createParenthesizedType(type) : type;
    const members = ts.isUnionTypeNode(operand) ? operand.types : [operand];
    return f.createUnionTypeNode([...members, f.createKeywordTypeNode(ts.SyntaxKind.UndefinedKeyword)]);
  };
  const visit = (node) => {
    node = ts.visitEachChild(node, visit, context);
    if (ts.isPropertySignature(node) && node.questionToken) {
      return f.updatePropertySignature(node, node.modifiers, node.name, node.questionToken, widen(node.type));
    }
    if (ts.isPropertyDeclaration(node) && node.questionToken) {
      return f.updatePropertyDeclaration(node, node.modifiers, node.name, node.questionToken, widen(node.type), node.initializer);
    }
    return node;
  };
  return (file) => (ts.isSourceFile(file) ? ts.visitNode(file, visit) : file);
}

/** The relative module specifiers a declaration file refers to (imports, re-exports, import() types). */
function references(text) {
  const out = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) out.push(m[1]);
  return out;
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

function removeEmptyDirectories(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) removeEmptyDirectories(path);
  }
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

/**
 * Type-checks and emits; prints the diagnostics and returns false on a type error.
 * `entries` are paths under the declaration directory that package.json names.
 */
export function emitDeclarations({ project, entries }) {
  const configPath = resolve(project);
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, projectReferences: config.projectReferences });
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: ts.sys.getCurrentDirectory, getNewLine: () => '\n' };
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const emitted = program.emit(undefined, undefined, undefined, true, { afterDeclarations: [optionalAcceptsUndefined] });
  const all = [...diagnostics, ...emitted.diagnostics];
  if (all.length > 0) {
    console.error(ts.formatDiagnosticsWithColorAndContext(all, host));
    return false;
  }
  // Keep what the entries reach; the rest (the CLI's, the tests' internals) is not part of the package.
  const outDir = config.options.declarationDir ?? config.options.outDir;
  const keep = new Set();
  const queue = entries.map((e) => join(outDir, e));
  while (queue.length > 0) {
    const file = queue.pop();
    if (keep.has(file)) continue;
    keep.add(file);
    for (const spec of references(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.d.ts'));
      queue.push(target.endsWith('.d.ts') ? target : `${target}.d.ts`);
    }
  }
  for (const file of [...walk(outDir)]) {
    if (!keep.has(file)) rmSync(file);
  }
  removeEmptyDirectories(outDir);
  const missing = [...keep].filter((f) => !statSync(f, { throwIfNoEntry: false }));
  if (missing.length > 0) {
    console.error(`declarations: referenced but not emitted: ${missing.map((f) => relative(outDir, f)).join(', ')}`);
    return false;
  }
  return true;
}
