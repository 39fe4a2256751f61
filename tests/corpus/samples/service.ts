// A TypeScript service.
export interface User {
  id: number;
  name: string;
}

export class UserService {
  private users: User[] = [];

  add(user: User): void {
    this.users.push(user);
  }

  find(id: number): User | undefined {
    return this.users.find((u) => u.id === id);
  }
}

export function makeService(): UserService {
  return new UserService();
}

enum Color { Red, Green }
