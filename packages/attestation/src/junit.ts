import { XMLParser, XMLValidator } from 'fast-xml-parser';

const JUNIT_ROOTS = ['testsuites', 'testsuite'];

// Finds the root elements without building the document's tree: everything inside a root element is kept
// as one raw string (stopNodes '*'), so no element below it becomes an object and no entity in it is
// expanded; the prolog, comments and processing instructions are dropped.
const rootFinder = new XMLParser({
  preserveOrder: true,
  stopNodes: ['*'],
  ignoreDeclaration: true,
  ignorePiTags: true,
  ignoreAttributes: true,
});

/**
 * The problem that keeps `text` from being a JUnit XML report, as a phrase that completes
 * "<file> is not JUnit XML: …", or undefined: it must be well-formed XML with one root element,
 * `<testsuites>` or `<testsuite>`.
 */
export function checkJunit(text: string): string | undefined {
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    const { msg, line, col } = validation.err;
    return `it is not well-formed XML (line ${line}${col === undefined ? '' : `, column ${col}`}: ${msg})`;
  }
  const roots = rootElements(text);
  if (roots.length !== 1) {
    return `an XML document has one root element, this one has ${roots.length} (${roots.map((name) => `<${name}>`).join(', ')})`;
  }
  const [root] = roots;
  if (root === undefined || !JUNIT_ROOTS.includes(root)) {
    return `the root element is <${root}>, expected <testsuites> or <testsuite>`;
  }
  return undefined;
}

/** True when `text` is well-formed XML whose one root element is `<testsuites>` or `<testsuite>`. */
export function looksLikeJunit(text: string): boolean {
  return checkJunit(text) === undefined;
}

function rootElements(text: string): string[] {
  const nodes = rootFinder.parse(text) as unknown;
  if (!Array.isArray(nodes)) return [];
  return nodes.flatMap((node) =>
    typeof node === 'object' && node !== null
      ? Object.keys(node).filter((key) => key !== ':@' && !key.startsWith('#') && !key.startsWith('?'))
      : [],
  );
}
