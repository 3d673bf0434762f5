#include <iostream>
#include <string>
#include <vector>

int main()
{
    std::vector<std::string> words{"Hello", "from", "C++", "in", "webvm"};
    for (const auto &word : words)
        std::cout << word << ' ';
    std::cout << std::endl;
    return 0;
}
