// Server-side printing (meta.k8s.io/v1 Table) for `kubectl get`: the public surface of this folder.

export {
  toTable, watchEventTable, tableRowsForWatch, columnsFor, printerFor, includeObjectError, rowObject,
  type Table, type TableRow, type TableColumnDefinition, type TableRowCondition, type TableListMeta,
  type TableOptions, type IncludeObject, type GroupResource,
} from './table.ts';
export { tableForCustomColumns, compilePath, findFirst, cellFor, type CustomColumn } from './custom.ts';
export { humanDuration } from '../../machinery/duration.ts';
export { podSummary } from './pod.ts';
