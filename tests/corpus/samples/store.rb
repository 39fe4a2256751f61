# A small Ruby store.
module Shop
  class Store
    def initialize(items)
      @items = items
    end

    def total
      @items.sum(&:price)
    end

    def self.open
      new([])
    end
  end
end

def helper(x)
  x * 2
end
