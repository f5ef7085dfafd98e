/**
 * A stand-in for the example's database: an in-memory table with a realistic query delay, so the
 * database-integration snippet (`monitor.recordOperation`) has something to time.
 */
export interface Workshop {
  id: number;
  title: string;
  capacity: number;
  registrations: number;
}

export interface WorkshopStore {
  findAll(): Promise<Workshop[]>;
  findById(id: number): Promise<Workshop | undefined>;
  register(id: number): Promise<Workshop | undefined>;
}

export function createWorkshopStore(queryDelayMs = 5): WorkshopStore {
  const rows: Workshop[] = Array.from({ length: 20 }, (_, index) => ({
    id: index + 1,
    title: `Workshop ${index + 1}`,
    capacity: 20 + (index % 4) * 10,
    registrations: (index * 7) % 20,
  }));
  const delay = () => new Promise((resolve) => setTimeout(resolve, queryDelayMs));
  return {
    async findAll() {
      await delay();
      return rows.map((row) => ({ ...row }));
    },
    async findById(id) {
      await delay();
      const row = rows.find((r) => r.id === id);
      return row ? { ...row } : undefined;
    },
    async register(id) {
      await delay();
      const row = rows.find((r) => r.id === id);
      if (!row || row.registrations >= row.capacity) return undefined;
      row.registrations++;
      return { ...row };
    },
  };
}
