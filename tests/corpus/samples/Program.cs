using System;

namespace Demo
{
    /// <summary>An account.</summary>
    public class Account
    {
        public decimal Balance { get; private set; }

        public Account(decimal opening)
        {
            Balance = opening;
        }

        public void Deposit(decimal amount)
        {
            Balance += amount;
        }
    }

    public interface ILogger
    {
        void Log(string message);
    }

    struct Money { public decimal Amount; }
}
