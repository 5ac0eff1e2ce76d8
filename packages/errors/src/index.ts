export { CairnError, isAbortError } from './cairn-error.js';
export { Code, codeName, httpStatusOf } from './code.js';
