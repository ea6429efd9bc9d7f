/** A numbered plain-SQL migration, embedded in the build (graphile-worker style). */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}
