#include <string>

namespace ui {

class Widget {
 public:
  explicit Widget(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  void draw();

 private:
  std::string name_;
};

void Widget::draw() {
  // drawing happens here
}

template <typename T>
T twice(T v) {
  return v + v;
}

}  // namespace ui
