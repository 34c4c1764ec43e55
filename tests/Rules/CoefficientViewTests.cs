using PdlfFast.Kernel.Layers;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Rules;

public class CoefficientViewTests
{
    [Fact]
    public void Coefficient_views_show_the_folded_matrices_without_padding()
    {
        var shape = LayerShape.Padded(4, 10); // stride 16
        int n = shape.Synapses;
        var data = new Seeded(8);
        float[] eta = data.Uniform(n, -1f, 1f), a = data.Uniform(n, -1f, 1f), b = data.Uniform(n, -1f, 1f),
            c = data.Uniform(n, -1f, 1f), d = data.Uniform(n, -1f, 1f);
        var coefficients = new PdlfLayerCoefficients(shape);
        coefficients.Fold(eta, a, b, c, d);
        Assert.Equal((4, 10), (coefficients.EtaA2D.Height, coefficients.EtaA2D.Width));
        for (int r = 0; r < shape.Rows; r++)
            for (int col = 0; col < shape.Columns; col++)
            {
                int g = r * shape.Columns + col, s = shape.Index(r, col);
                Assert.Equal(coefficients.EtaA[s], coefficients.EtaA2D[r, col]);
                Assert.Equal(eta[g] * a[g], coefficients.EtaA2D[r, col]);
                Assert.Equal(coefficients.NegEtaAC[s], coefficients.NegEtaAC2D[r, col]);
                Assert.Equal(eta[g] * b[g], coefficients.EtaB2D[r, col]);
                Assert.Equal(eta[g] * d[g], coefficients.EtaD2D[r, col]);
            }
    }
}
